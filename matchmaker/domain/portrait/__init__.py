"""The firm's credit portrait (企业画像): everything the platform knows about one firm on one page with a
transparent score, who may see it (授权查询) and who looked, and the computed next step after a decline."""
