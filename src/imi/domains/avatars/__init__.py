"""Avatar manipulation benchmark (SPEC §6): attributes, rendering, grammar, data sets, judge, evaluation."""
