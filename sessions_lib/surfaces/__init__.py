"""Ways to look at the catalog: SQL connections, polars frames, text summaries, the timeline picture."""
