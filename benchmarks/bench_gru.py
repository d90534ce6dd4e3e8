"""Speed of rnnlib's GRU: forward + backward against PyTorch and the
matrix-product floor.

    make bench            (or: .venv/bin/python benchmarks/bench_gru.py)

Times `rnnlib.GRU` against `torch.nn.GRU(batch_first=True)` and the
products floor, float64 and float32 in one run; gated.py says how.  The
GRU's products are the LSTM's with three gate blocks instead of four.
"""

import sys

from gated import SIZES, matrix_products, product_shapes
from gated import main as gated_main

from rnnlib import GRU

__all__ = ["SIZES", "main", "matrix_products", "product_shapes"]


def main(argv=None):
    return gated_main(GRU, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
