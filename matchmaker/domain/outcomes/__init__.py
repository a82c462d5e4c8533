"""What becomes of a request after the banks: referral of unmatched requests (guarantee, bridge fund, counselling team), first-loan cultivation (首贷培植) and the firm's ratings of banks."""
