"""Pages of the firm portrait (企业画像): the portrait, who looked, consent, the score's weights, next steps."""
