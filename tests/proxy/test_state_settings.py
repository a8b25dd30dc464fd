"""The shared-store settings: which store a config makes, and URLs caught at load."""
import pytest

from proxy import config as config_mod, state
from proxy.errors import ConfigError
from proxy.state.memory import MemoryStore


@pytest.mark.parametrize("name, value", [("state.redis-url", "http://cache:6379"),
                                         ("usage.database-url", "mysql://u:hunter2@db/usage")])
def test_a_url_of_the_wrong_kind_is_refused_without_quoting_it(name, value):
    section, key = name.split(".")
    with pytest.raises(ConfigError) as caught:
        config_mod.build({section: {key: value}})
    assert name in str(caught.value) and "hunter2" not in str(caught.value)


def test_memory_unless_a_redis_url_is_given():
    assert type(state.from_config(config_mod.build({}))) is MemoryStore
    store = state.from_config(config_mod.build({"state": {"redis-url": "redis://127.0.0.1:1/0",
                                                      "key-prefix": "p:"}}))
    assert store.shared and store.describe()["server"] == "redis://127.0.0.1:1"
