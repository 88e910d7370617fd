"""What is shown and handed out: the view model, the texts in both languages, the palette, the
provenance in words, the exports (CSV, XLSX, GeoJSON, PNG, tagged PDF) and safe spreadsheet cells.
Everything a page, an embed or the command line shows comes through here; no UI framework, no HTTP."""
