"""All models, imported here so that Base.metadata knows every table."""
from .api import ApiIdempotency, ApiToken, WebhookEndpoint  # noqa: F401
from .audit import AuditCheck, History  # noqa: F401
from .banks import Bank, BankBase, BankTarget  # noqa: F401
from .base import Base, utcnow  # noqa: F401
from .cache import FigureCache  # noqa: F401
from .claims import ClaimCode, FirmClaim, TownshipMove  # noqa: F401
from .clocks import LeadEscalation, WorkdayOverride  # noqa: F401
from .events import EventBank, EventIntention, EventInvitation, EventProduct, MatchmakingEvent  # noqa: F401
from .firms import Firm  # noqa: F401
from .first_loans import FirstLoanCase  # noqa: F401
from .jobs import Job  # noqa: F401
from .ledgers import Instrument, LedgerEntry  # noqa: F401
from .notifications import Notification, NotificationPreference, OutboxMessage  # noqa: F401
from .places import Township  # noqa: F401
from .portrait import PortraitConsent, PortraitView  # noqa: F401
from .products import Product, ProductKind  # noqa: F401
from .ratings import Rating  # noqa: F401
from .referrals import Referral  # noqa: F401
from .reports import Bulletin, ListingCandidate, MonthlyReport  # noqa: F401
from .requests import FinancingRequest, Lead, Offer  # noqa: F401
from .settings import Setting  # noqa: F401
from .users import User  # noqa: F401
from .whitelists import FirmAlias, WhiteListBatch, WhiteListEntry, WhiteListImport, WhiteListImportRow  # noqa: F401
