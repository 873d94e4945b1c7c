"""Joint review (联审): agency opinions and reply files turned into candidate facts, with evidence."""
