"""The attribute classifier: reads CUB colour groups from bird images (the judge, and a bundle's critic)."""

from .configuration_attribute_classifier import AttributeClassifierConfig
from .modeling_attribute_classifier import AttributeClassifier, AttributeClassifierOutput, soft_cross_entropy

__all__ = ["AttributeClassifier", "AttributeClassifierConfig", "AttributeClassifierOutput", "soft_cross_entropy"]
