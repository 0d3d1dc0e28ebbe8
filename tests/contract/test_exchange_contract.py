"""Contract classes for the exchange model, both variants and both rules."""

from detente.models.exchange import Exchange
from tests.contract.model_contract import ModelContract


class TestExchangeStokman(ModelContract):
    model = Exchange()


class TestExchangeDecide(ModelContract):
    model = Exchange(variant="decide")


_REX_ORDER = (
    "REX draws are consumed in the order candidate exchanges are created, which follows the "
    "actor order (as in the reference); permuting actors gives another, equally likely, draw of "
    "the same distribution"
)


class TestExchangeStokmanRex(ModelContract):
    model = Exchange(rule="rex", p=0.5, rounds=3)
    contract_xfail = {"test_actor_order_irrelevant": _REX_ORDER}


class TestExchangeDecideRex(ModelContract):
    model = Exchange(variant="decide", rule="rex", p=0.5, rounds=3)
    contract_xfail = {"test_actor_order_irrelevant": _REX_ORDER}


class TestExchangeStokmanNumpy(ModelContract):
    """The numpy engine of the stokman variant (the one used without the ``fast`` extra)."""

    model = Exchange(backend="numpy")
