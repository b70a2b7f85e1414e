"""One reader per input format, each turning file bytes into a Dataset with file:line:col errors; CSV and xlsx
share one long-form row parser.
"""
