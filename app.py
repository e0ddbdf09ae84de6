"""The browser view for `solara run app.py` (the scenario: $CDSIM_SCENARIO, default the ASEAN
Way). `cdsim view [SCENARIO]` does the same in one command. Needs `pip install '.[viz]'`."""

from sim.viz import Page  # noqa: F401  (solara serves the component named Page)
