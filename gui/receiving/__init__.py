"""The 汇总 page (receiving mode): intake, the package list, summaries, cross-checks, samples."""
