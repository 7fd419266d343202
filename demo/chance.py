"""Seeded random picks shared by the demo's parts."""


def weighted(rng, pairs):
    r = rng.random()
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        if r <= acc:
            return value
    return pairs[-1][0]
