"""Statistics for paired, cross-validated ablations: corrected paired tests, multiplicity,
verdicts, the blocked ANOVA, and the comparison table that puts them together."""
