"""Outputs of `matcher run`: tables, CSVs, workbooks, notices, result.json and report.html.

Entry point: `matcher.report.write.write_outputs(result, out_dir)`.
"""
