"""The six white lists: reading and checking an import file, resolving its rows to firms, batches with preview, review, commit and undo, and the lists as routing, pages and exports see them."""
