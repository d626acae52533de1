"""vocmine collection: a Scrapy project (spiders, items, pipelines) and NPS importers."""
