"""Questions answered with many runs: `solve` (the smallest value that meets a target),
`calibrate` (the declared uncertainties fitted to observed data) and `discover` (the boxes of a
sweep's input space where a condition on its outputs holds)."""
