"""Speed of rnnlib's LSTM: forward + backward against PyTorch and the
matrix-product floor.

    make bench            (or: .venv/bin/python benchmarks/bench_lstm.py)

Times `rnnlib.LSTM` against `torch.nn.LSTM(batch_first=True)` and the
products floor, float64 and float32 in one run; gated.py says how.
"""

import sys

from gated import SIZES, matrix_products, product_shapes
from gated import main as gated_main

from rnnlib import LSTM

__all__ = ["SIZES", "main", "matrix_products", "product_shapes"]


def main(argv=None):
    return gated_main(LSTM, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
