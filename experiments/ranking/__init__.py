"""Route ranking for incident commanders: candidate plans, network screening, ensembles of the
short list with the crowd engine, and the ranking (`evac rank`)."""
