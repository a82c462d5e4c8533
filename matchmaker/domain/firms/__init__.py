"""Firms: the one record per firm with its searchable name forms, the 统一社会信用代码 check, and entity resolution that links a written name to a known firm."""
