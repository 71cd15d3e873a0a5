"""Named tolerances of the architecture tests, each with the reason for its size."""

#: Float row sums of products of row-stochastic float64 matrices: each product row sum
#: drifts by ~n * eps per layer; n <= 64, L <= 8 gives ~1e-13, so 1e-12 is safe yet tight.
ROW_SUM = 1e-12

#: Flow values of two exact algorithms (fast certified min cut vs networkx Edmonds-Karp)
#: differ only by float summation order over at most a few hundred edges of size <= 1:
#: ~1e-14; the issue's contract is 1e-6, we check a much stricter 1e-9.
FLOW_MATCH = 1e-9

#: Certified gap of the integer-scaled flow: at most (edges in the cut) / 2**30; cuts at
#: n <= 16 have < 300 edges, so < 3e-7.
FLOW_GAP = 3e-7

#: Closed-form vs numeric optimum of a smooth 1-D convex objective in log N: the bounded
#: Brent search stops at xatol = 1e-10 in log N, so relative error in N ~ 1e-9; we allow 1e-6.
OPTIMUM_REL = 1e-6

#: Hand evaluation of a law at one point, rounded to 3 decimals in the docstring: 5e-3.
HAND_LOSS = 5e-3

#: Central finite difference with h = 1e-6 relative: truncation O(h^2) ~ 1e-12 relative,
#: round-off ~ eps / h ~ 1e-10 relative; 1e-6 relative leaves a wide margin.
FD_REL = 1e-6

#: Real-model (float32 softmax) attention rows sum to 1 within ~1e-6.
REAL_ROW_SUM = 1e-5

#: Float64 roundoff of a flow value: a cut capacity or networkx's preflow-push sums at most a
#: few thousand capacities <= 1 (n <= 64, L <= 6 here), so each side is off by < 1e-13.
FLOW_ROUND = 1e-12

#: Relative tolerance asked of the fast flow when the refinement is under test: far below
#: the one-round gap (~n / 2**31 ~ 1e-8 relative here), far above FLOW_ROUND.
FLOW_TIGHT = 1e-11
