"""Word error rate, computed with jiwer on normalized text (an evaluate module, loaded by path, offline).

    import evaluate
    from s2i_hf.metrics import metric_path
    evaluate.load(metric_path("wer")).compute(predictions=["a red bird"], references=["a red bird."])  # 0.0

Both sides are normalized first (s2i_hf's character normalization, then punctuation removed), so the score
counts words, not commas or case.
"""

import datasets
import evaluate
import jiwer
from s2i_hf.metrics.normalization import normalize_for_scoring


class WER(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Word error rate on normalized text (lower case, punctuation removed), via jiwer.",
            citation="",
            inputs_description="predictions: list of str; references: list of str",
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        refs = [normalize_for_scoring(r) for r in references]
        hyps = [normalize_for_scoring(p) for p in predictions]
        errors = words = 0
        for ref, hyp in zip(refs, hyps):
            words += len(ref.split())
            if not ref:
                errors += len(hyp.split())  # an empty reference: every hypothesised word is an insertion
                continue
            out = jiwer.process_words(ref, hyp)
            errors += out.substitutions + out.deletions + out.insertions
        return errors / max(words, 1)
