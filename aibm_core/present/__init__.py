"""The presentation layer: charts, summaries, reports, widgets, the dashboard, exports and the
calls the notebooks make.

Reads results and analyses; imports nothing from the batch runner.
"""
