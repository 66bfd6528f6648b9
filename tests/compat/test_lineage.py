"""Lineage, the model tree (cards-datasets.md §7; issue 8): `base_model` in a card makes an edge to
the parent repo; the relation is `base_model_relation` when given, else inferred (two or more
parents: merge; `adapter_config.json`: adapter; a `.gguf` file: quantized; otherwise finetune).

Read through huggingface_hub 2.4.0 as `model_info(expand=["baseModels"]).base_models` (the raw dict
`{"relation", "models": [{"id"}]}`), `model_info(expand=["childrenModelCount"])
.children_model_count`, the `base_model:` tags with `list_models(filter=...)`, and through Stoa's
`GET /api/models/{id}/lineage` (ancestors with depth, children, counts per relation, warnings such
as a licence that may not be compatible with the parent's). Private children stay invisible to
everyone who cannot see them.
"""

from __future__ import annotations

import json

import pytest

from compat_helpers import curl, unique_name
from scan_corpus import tiny_gguf, wait_for_scan

RELATIONS = ("adapter", "finetune", "merge", "quantized")
ADAPTER_CONFIG = json.dumps({"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj", "v_proj"],
                             "base_model_name_or_path": "placeholder"}).encode()


def card(*, base_model, licence: str | None = "apache-2.0", relation: str | None = None) -> bytes:
    lines = ["---"]
    if licence:
        lines.append(f"license: {licence}")
    if isinstance(base_model, list):
        lines.append("base_model:")
        lines += [f"- {b}" for b in base_model]
    else:
        lines.append(f"base_model: {base_model}")
    if relation:
        lines.append(f"base_model_relation: {relation}")
    lines += ["---", "# child model", ""]
    return "\n".join(lines).encode()


def make_repo(api, repo_id: str, files: dict[str, bytes], private: bool = False) -> str:
    from huggingface_hub import CommitOperationAdd

    api.create_repo(repo_id, private=private)
    api.create_commit(repo_id, [CommitOperationAdd(p, d) for p, d in files.items()], commit_message="files")
    wait_for_scan(api, repo_id)  # file-based inference may run in the scan job
    return repo_id


def lineage(stoa, repo_id: str, token: str | None):
    r = curl("GET", f"{stoa.url}/api/models/{repo_id}/lineage", token=token)
    assert r.status == 200, r.describe()
    return r.json()


@pytest.fixture(scope="module")
def tree(api_alice, api_bob, stoa):
    """base (llama3) and base2 by alice; children of every kind; a grandchild; a private child by
    bob. Built once for the module's tests."""
    gguf, _ = tiny_gguf()
    p = unique_name("lin")
    base = make_repo(api_alice, f"alice/{p}-base", {"README.md": b"---\nlicense: llama3\n---\n# base\n"})
    base2 = make_repo(api_alice, f"alice/{p}-base2", {"README.md": b"---\nlicense: apache-2.0\n---\n# base2\n"})
    t = {"prefix": p, "base": base, "base2": base2}
    t["quantized"] = make_repo(api_alice, f"alice/{p}-q4", {
        "README.md": card(base_model=base), "model-Q4_K_M.gguf": gguf})
    t["adapter"] = make_repo(api_alice, f"alice/{p}-lora", {
        "README.md": card(base_model=base), "adapter_config.json": ADAPTER_CONFIG})
    t["merge"] = make_repo(api_alice, f"alice/{p}-merge", {"README.md": card(base_model=[base, base2])})
    t["finetune"] = make_repo(api_alice, f"alice/{p}-ft", {"README.md": card(base_model=base),
                                                           "config.json": b'{"model_type": "llama"}'})
    # A gguf file, but the card says finetune: the explicit relation wins.
    t["explicit"] = make_repo(api_alice, f"alice/{p}-explicit", {
        "README.md": card(base_model=base, relation="finetune"), "model.gguf": gguf})
    # MIT on top of a llama3 parent: a licence warning.
    t["mit"] = make_repo(api_alice, f"alice/{p}-mit", {"README.md": card(base_model=base, licence="mit")})
    # A grandchild: an adapter of the quantized child.
    t["grandchild"] = make_repo(api_alice, f"alice/{p}-grand", {
        "README.md": card(base_model=t["quantized"]), "adapter_config.json": ADAPTER_CONFIG})
    # Bob's private child of alice's base. Its own GGUF bytes: the same bytes would be deduplicated
    # by hf_xet (one process, one chunk cache) against alice's xorb, which Stoa refuses to let bob
    # reference ("xorb ... was not uploaded by you").
    bob_gguf, _ = tiny_gguf(context_length=2048)
    t["private"] = make_repo(api_bob, f"bob/{p}-secret", {"README.md": card(base_model=base),
                                                          "model.gguf": bob_gguf}, private=True)
    t["visible_children"] = {
        t["quantized"]: "quantized", t["adapter"]: "adapter", t["merge"]: "merge", t["finetune"]: "finetune",
        t["explicit"]: "finetune", t["mit"]: "finetune",
    }
    return t


@pytest.mark.parametrize("kind, relation", [
    ("quantized", "quantized"), ("adapter", "adapter"), ("finetune", "finetune"), ("explicit", "finetune"),
    ("mit", "finetune"),
])
def test_relation_inferred_or_explicit(api_anon, tree, kind, relation):
    info = api_anon.model_info(tree[kind], expand=["baseModels"])
    assert info.base_models == {"relation": relation, "models": [{"id": tree["base"]}]}, info.base_models
    tags = set(api_anon.model_info(tree[kind]).tags or [])
    assert {f"base_model:{tree['base']}", f"base_model:{relation}:{tree['base']}"} <= tags, tags


def test_merge_has_both_parents(api_anon, tree):
    info = api_anon.model_info(tree["merge"], expand=["baseModels"])
    assert info.base_models == {"relation": "merge", "models": [{"id": tree["base"]}, {"id": tree["base2"]}]}
    tags = set(api_anon.model_info(tree["merge"]).tags or [])
    for parent in (tree["base"], tree["base2"]):
        assert {f"base_model:{parent}", f"base_model:merge:{parent}"} <= tags, tags


def test_children_count_and_lineage_of_the_base(api_anon, api_alice, stoa, tree):
    children = tree["visible_children"]
    for api in (api_anon, api_alice):
        info = api.model_info(tree["base"], expand=["childrenModelCount"])
        assert info.children_model_count == len(children), info.children_model_count
    assert api_anon.model_info(tree["base2"], expand=["childrenModelCount"]).children_model_count == 1
    assert api_anon.model_info(tree["quantized"], expand=["childrenModelCount"]).children_model_count == 1
    root = api_anon.model_info(tree["base"], expand=["baseModels"]).base_models
    assert not root or not root.get("models"), f"a root has no baseModels: {root!r}"

    for token in (None, stoa.tokens["alice"]):
        body = lineage(stoa, tree["base"], token)
        assert body["id"] == tree["base"]
        assert body["relation"] is None
        assert body["ancestors"] == []
        assert {c["id"]: c["relation"] for c in body["children"]} == children, body["children"]
        expected_counts = {r: 0 for r in RELATIONS}
        for relation in children.values():
            expected_counts[relation] += 1
        assert body["childrenCount"] == expected_counts, body["childrenCount"]
        assert not any("license" in w.lower() for w in body["warnings"]), body["warnings"]


def test_ancestors_with_depth(stoa, tree):
    quant = lineage(stoa, tree["quantized"], None)
    assert quant["id"] == tree["quantized"]
    assert quant["relation"] == "quantized", quant
    assert quant["ancestors"] == [{"id": tree["base"], "relation": "quantized", "depth": 1}], quant["ancestors"]
    assert quant["children"] == [{"id": tree["grandchild"], "relation": "adapter"}], quant["children"]
    assert quant["childrenCount"] == {"adapter": 1, "finetune": 0, "merge": 0, "quantized": 0}

    grand = lineage(stoa, tree["grandchild"], None)
    assert grand["relation"] == "adapter"
    assert grand["ancestors"] == [
        {"id": tree["quantized"], "relation": "adapter", "depth": 1},
        {"id": tree["base"], "relation": "quantized", "depth": 2},
    ], grand["ancestors"]
    assert grand["children"] == []

    merge = lineage(stoa, tree["merge"], None)
    assert sorted((a["id"], a["depth"]) for a in merge["ancestors"]) == sorted([(tree["base"], 1), (tree["base2"], 1)])
    assert all(a["relation"] == "merge" for a in merge["ancestors"]), merge["ancestors"]


def test_licence_warning(stoa, tree):
    warnings = lineage(stoa, tree["mit"], None)["warnings"]
    assert any("license" in w.lower() for w in warnings), warnings
    # apache-2.0 over llama3 is not flagged by this test; mit over llama3 must be.
    assert isinstance(lineage(stoa, tree["finetune"], None)["warnings"], list)


def test_private_children_stay_hidden(api_anon, api_alice, api_bob, stoa, tree, hf):
    secret = tree["private"]
    for api, token in ((api_anon, None), (api_alice, stoa.tokens["alice"])):
        assert api.model_info(tree["base"], expand=["childrenModelCount"]).children_model_count == \
            len(tree["visible_children"])
        body = lineage(stoa, tree["base"], token)
        assert secret not in {c["id"] for c in body["children"]}, body["children"]
        assert sum(body["childrenCount"].values()) == len(tree["visible_children"]), body["childrenCount"]
        assert secret not in json.dumps(body)
        assert secret not in [m.id for m in api.list_models(filter=f"base_model:{tree['base']}")]
        with pytest.raises(hf.errors.RepositoryNotFoundError):
            api.model_info(secret)
    # Bob sees his own repo's parent.
    own = api_bob.model_info(secret, expand=["baseModels"])
    assert own.base_models == {"relation": "quantized", "models": [{"id": tree["base"]}]}, own.base_models


def test_list_models_by_base_model_tags(api_anon, tree):
    def ids(tag: str) -> list[str]:
        return sorted(m.id for m in api_anon.list_models(filter=tag))

    base = tree["base"]
    assert ids(f"base_model:quantized:{base}") == [tree["quantized"]]
    assert ids(f"base_model:adapter:{base}") == [tree["adapter"]]
    assert ids(f"base_model:merge:{base}") == [tree["merge"]]
    assert ids(f"base_model:finetune:{base}") == sorted([tree["finetune"], tree["explicit"], tree["mit"]])
    assert ids(f"base_model:{base}") == sorted(tree["visible_children"])
    assert ids(f"base_model:adapter:{tree['quantized']}") == [tree["grandchild"]]
