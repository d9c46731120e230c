"""Exports: the Excel workbook, PDF report, notice list, letters, and the signed package."""
