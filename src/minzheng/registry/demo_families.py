"""Who lives together in a demo household: sizes 1-6 and the family shapes of a rural county
(elderly couples whose children work away, grandparents with left-behind grandchildren, three
generations), with ages consistent with the relationships."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from minzheng.registry.demo_names import Weighted

# Household sizes 1..6 (mean ~2.55, like rural Anhui in the 2020 census).
SIZES = Weighted.of([("1", 26), ("2", 31), ("3", 20), ("4", 12), ("5", 7), ("6", 4)])


def founding_date(as_of: datetime.date) -> datetime.date:
    """The day the demo registry was set up (建档): memberships start then, or at birth."""
    return datetime.date(as_of.year - 5, 1, 1)


@dataclass
class Spec:
    """One member before names and numbers: relationship to the head, age, sex, marital
    status, whose surname the member carries (own, the family's, the head's, the in-law's)
    and, for the few who died since the registry was set up, the day of death."""

    relationship: str
    age: int
    male: bool
    marital: str
    surname_of: str = "own"
    death: datetime.date | None = None


class Families:
    def __init__(self, rng: random.Random, as_of: datetime.date) -> None:
        self.rng = rng
        self.as_of = as_of

    def household(self) -> list[Spec]:
        """A household's members, the head first."""
        specs = self._shape(int(SIZES.pick(self.rng)), self.rng.random())
        self._deaths(specs)
        return specs

    def _couple(self, lo: int, hi: int) -> list[Spec]:
        age, male = self.rng.randint(lo, hi), self.rng.random() < 0.82
        gap = self.rng.choice((-2, -1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6))  # husband mostly older
        spouse_age = max(age - gap if male else age + gap, 20 if male else 22)
        return [Spec("head", age, male, "married"), Spec("spouse", spouse_age, not male, "married")]

    def _children(self, parent_age: int, k: int, relationship: str = "child") -> list[Spec]:
        """k children of a parent (the younger one of a couple): the eldest born when the
        parent was 22-32, the others 1-5 years apart, none after the parent turned 40."""
        age = parent_age - self.rng.randint(22, max(22, min(32, parent_age)))
        specs = []
        for _ in range(k):
            age = max(0, age, parent_age - 40)
            marital = self._child_marital(age) if relationship == "child" else "unmarried"
            specs.append(Spec(relationship, age, self.rng.random() < 0.53, marital, "family"))
            age -= self.rng.randint(1, 5)
        return specs

    def _child_marital(self, age: int) -> str:
        """Adult children living with their parents: some married (spouse registered
        elsewhere), a few divorced."""
        r = self.rng.random()
        if age < 22 or r > (0.25 if age < 30 else 0.65):
            return "unmarried"
        return "divorced" if r < 0.04 else "married"

    def _parents(self, head: Spec, k: int) -> list[Spec]:
        """The head's parents (both, or a widowed one), 22-34 years older."""
        father = min(head.age + self.rng.randint(22, 34), 98)
        if k == 1:
            male = self.rng.random() < 0.35
            return [Spec("parent", father, male, "widowed", "head" if male else "own")]
        mother = max(father - self.rng.randint(0, 5), head.age + 20)
        return [
            Spec("parent", father, True, "married", "head"),
            Spec("parent", mother, False, "married"),
        ]

    def _single(self) -> Spec:
        r = self.rng.random()
        if r < 0.55:
            return Spec("head", self.rng.randint(62, 92), self.rng.random() < 0.4, "widowed")
        if r < 0.85:
            return Spec("head", self.rng.randint(22, 50), self.rng.random() < 0.7, "unmarried")
        return Spec("head", self.rng.randint(35, 62), self.rng.random() < 0.6, "divorced")

    def _single_parent(self, kids: int) -> list[Spec]:
        marital = self.rng.choice(("widowed", "divorced"))
        head = Spec("head", self.rng.randint(35, 62), self.rng.random() < 0.4, marital)
        return [head, *self._children(head.age, kids)]

    def _with_children(self, lo: int, hi: int, kids: int, parents: int = 0) -> list[Spec]:
        couple = self._couple(lo, hi)
        family = [*couple, *self._children(min(c.age for c in couple), kids)]
        return family + (self._parents(couple[0], parents) if parents else [])

    def _three_generations(self, grandchildren: int) -> list[Spec]:
        """An older couple, their married child with the in-law, and grandchildren."""
        couple = self._couple(48, 72)
        child = self._children(min(c.age for c in couple), 1)[0]
        child.age, child.marital = max(child.age, 23), "married"
        in_law_age = max(20, child.age + self.rng.randint(-3, 3))
        in_law = Spec("child_in_law", in_law_age, not child.male, "married", "in_law")
        kids = self._children(min(child.age, in_law.age), grandchildren, "grandchild")
        for kid in kids:
            kid.surname_of = "family" if child.male else "in_law"
        return [*couple, child, in_law, *kids]

    def _left_behind(self, grandchildren: int) -> list[Spec]:
        """Grandparents raising grandchildren whose parents work in the cities (留守儿童)."""
        couple = self._couple(52, 74)
        for _ in range(grandchildren):
            age = max(0, min(17, couple[0].age - self.rng.randint(44, 62)))
            couple.append(Spec("grandchild", age, self.rng.random() < 0.53, "unmarried", "family"))
        return couple

    def _shape(self, size: int, r: float) -> list[Spec]:
        if size == 1:
            return [self._single()]
        if size == 2:
            if r < 0.75:
                return self._couple(55, 85) if r < 0.55 else self._couple(23, 40)
            if r < 0.9:
                return self._single_parent(1)
            head = self._single()
            head.age = self.rng.randint(25, 55)
            return [head, *self._parents(head, 1)]
        if size == 3:
            if r < 0.55:
                return self._with_children(25, 60, 1)
            if r < 0.75:
                return self._with_children(28, 55, 0, parents=1)
            return self._left_behind(1) if r < 0.92 else self._single_parent(2)
        if size == 4:
            if r < 0.5:
                return self._with_children(28, 58, 2)
            if r < 0.75:
                return self._with_children(30, 55, 1, parents=1)
            return self._left_behind(2) if r < 0.9 else self._with_children(30, 55, 0, parents=2)
        if size == 5:
            if r < 0.45:
                return self._with_children(30, 52, 2, parents=1)
            return self._three_generations(1) if r < 0.85 else self._with_children(35, 55, 3)
        if r < 0.5:
            return self._with_children(30, 50, 2, parents=2)
        return self._three_generations(2)

    def _deaths(self, specs: list[Spec]) -> None:
        """A few elderly members died since the registry was set up; their partner is then
        widowed. The head never is (a household's head stays alive in the demo)."""
        founded = founding_date(self.as_of)
        span = (self.as_of - founded).days - 2
        for spec in specs[1:]:
            if spec.age < 70 or self.rng.random() >= 0.04:
                continue
            spec.death = founded + datetime.timedelta(days=1 + self.rng.randint(0, span))
            partner = {"spouse": "head", "parent": "parent"}.get(spec.relationship)
            for other in specs:
                if other is not spec and other.relationship == partner and other.death is None:
                    other.marital = "widowed"
                    break
