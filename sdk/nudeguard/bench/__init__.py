"""``nudeguard bench``: latency per stage on this machine, its calibration and its reports."""
