"""The white-list pages: lists, filters, exports and the district's import."""
