"""Character error rate, computed with jiwer on normalized text (an evaluate module, loaded by path, offline).

    evaluate.load(metric_path("cer")).compute(predictions=["a red bird"], references=["a red bord"])  # 0.1

Normalization as in the WER module: lower case, accents and punctuation removed, spaces collapsed; spaces count
as characters, as in jiwer.
"""

import datasets
import evaluate
import jiwer
from s2i_hf.metrics.normalization import normalize_for_scoring


class CER(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Character error rate on normalized text (lower case, punctuation removed), via jiwer.",
            citation="",
            inputs_description="predictions: list of str; references: list of str",
            features=datasets.Features({"predictions": datasets.Value("string"), "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references):
        errors = chars = 0
        for ref, hyp in zip(map(normalize_for_scoring, references), map(normalize_for_scoring, predictions)):
            chars += len(ref)
            if not ref:
                errors += len(hyp)
                continue
            out = jiwer.process_characters(ref, hyp)
            errors += out.substitutions + out.deletions + out.insertions
        return errors / max(chars, 1)
