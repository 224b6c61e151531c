"""Assign shuttle carriers to yard blocks, nearest free carrier first."""

from dataclasses import dataclass


@dataclass
class Carrier:
    name: str
    position: int
    busy: bool = False


def nearest_free(carriers, block_position):
    free = [c for c in carriers if not c.busy]
    if not free:
        return None
    return min(free, key=lambda c: abs(c.position - block_position))


if __name__ == "__main__":
    fleet = [Carrier("seven", 3), Carrier("nine", 11), Carrier("two", 6, busy=True)]
    print(nearest_free(fleet, 8).name)
