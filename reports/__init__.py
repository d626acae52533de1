"""vocmine reports: attribution, advocacy and sharp edges as HTML, Markdown, CSV and Parquet."""
