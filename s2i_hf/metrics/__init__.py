"""Metrics as evaluate modules inside the package, loaded by path (loading the Hub's module by name needs the network).

    import evaluate
    from s2i_hf.metrics import metric_path
    wer = evaluate.load(metric_path("wer"))
"""

from pathlib import Path

METRICS = ("wer", "cer")


def metric_path(name: str) -> str:
    """The folder of a metric module of this package, for `evaluate.load`."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; this package has {METRICS}")
    return str(Path(__file__).parent / name)


def load_metric(name: str):
    import evaluate

    return evaluate.load(metric_path(name))
