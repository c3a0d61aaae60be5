"""The migration report: one self-contained HTML file reviewers sign the migration off on."""

from member_migration.report.build import ReportData, collect_report_data, write_report

__all__ = ["ReportData", "collect_report_data", "write_report"]
