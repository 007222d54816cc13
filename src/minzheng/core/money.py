"""Money is Decimal yuan with fen precision. Amounts are rounded half up to the fen unless a
program's standards name another rule."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def yuan(value: Decimal | int | str) -> Decimal:
    """An amount in yuan, exact to the fen. Floats are refused: they are never exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
