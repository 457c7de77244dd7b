"""Image-set metrics on any feature network: Fréchet distance (FID when the features are Inception's pool3) and
Inception Score (IS when the probabilities are Inception's). The network is the caller's choice, so the same code
scores images in the standard Inception space where its weights are present, and in the synthetic birds'
attribute-classifier space offline; results name the space they were computed in.
"""

from __future__ import annotations

import torch


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) between Gaussians fitted to two (n, d) feature sets.

    Tr((S_a S_b)^1/2) is computed as the sum of the square roots of the eigenvalues of S_a^1/2 S_b S_a^1/2, which is
    symmetric positive semi-definite, so no general matrix square root (scipy.linalg.sqrtm) is needed.
    """
    a, b = features_a.double(), features_b.double()
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets must be (n, d) with one d; got {tuple(a.shape)} and {tuple(b.shape)}")
    if min(len(a), len(b)) < 2:
        raise ValueError(f"need at least 2 samples per set for a covariance, got {len(a)} and {len(b)}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    eigvals, eigvecs = torch.linalg.eigh(cov_a)
    sqrt_a = eigvecs @ torch.diag(eigvals.clamp(min=0).sqrt()) @ eigvecs.T
    cross = torch.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).pow(2).sum() + torch.trace(cov_a) + torch.trace(cov_b) - 2 * cross)


def inception_score(probabilities: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))), mean and standard deviation over `splits` chunks (Salimans et al. 2016)."""
    p = probabilities.double().clamp(min=1e-12)
    scores = []
    for chunk in torch.chunk(p, splits):
        kl = (chunk * (chunk.log() - chunk.mean(0, keepdim=True).log())).sum(1).mean()
        scores.append(kl.exp())
    scores = torch.stack(scores)
    return float(scores.mean()), float(scores.std(unbiased=False))
