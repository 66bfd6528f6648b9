"""Likes and collections through huggingface_hub 2.4.0 (hub-api.md §4.10, §4.11).

2.4.0 has no "like" call (the Hub blocks liking from scripts): likes are given with curl
(`POST /api/{T}/{id}/like`, what Stoa's UI uses) and read and removed with the client."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from compat_helpers import curl, unique_name


# ---------------------------------------------------------------------------------------------
# likes (§4.10)
# ---------------------------------------------------------------------------------------------


def like(stoa, repo_id, who, repo_type="model"):
    token = stoa.tokens[who] if who else None
    return curl("POST", f"{stoa.url}/api/{repo_type}s/{repo_id}/like", token=token)


def liked_ok(stoa, repo_id, who, repo_type="model"):
    r = like(stoa, repo_id, who, repo_type)
    assert 200 <= r.status < 300, r.describe()


def test_likes_are_counted_listed_and_removed(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    repo_id = new_repo("liked")
    assert api_anon.model_info(repo_id).likes == 0
    liked_ok(stoa, repo_id, "bob")
    liked_ok(stoa, repo_id, "alice")
    assert api_anon.model_info(repo_id).likes == 2
    # Liking twice is still one like.
    again = like(stoa, repo_id, "bob")
    assert 200 <= again.status < 300 or again.status == 409, again.describe()
    assert api_anon.model_info(repo_id).likes == 2

    likers = {u.username: u for u in api_anon.list_repo_likers(repo_id)}
    assert set(likers) == {"alice", "bob"}
    assert likers["alice"].fullname == "Alice Liddell"
    assert isinstance(likers["bob"].fullname, str)
    assert all(isinstance(u.avatar_url, str) for u in likers.values())

    bob_likes = api_anon.list_liked_repos("bob")
    assert bob_likes.user == "bob"
    assert repo_id in bob_likes.models
    assert bob_likes.total == sum(map(len, (bob_likes.models, bob_likes.datasets, bob_likes.spaces, bob_likes.kernels)))
    assert api_bob.list_liked_repos().user == "bob", "implicit user through whoami"
    assert repo_id in api_bob.list_liked_repos().models

    raw = curl("GET", f"{stoa.url}/api/users/bob/likes")
    assert raw.status == 200, raw.describe()
    items = [i for i in raw.json() if i["repo"]["name"] == repo_id]
    assert len(items) == 1, raw.describe()
    assert items[0]["repo"]["type"] == "model"
    from huggingface_hub.utils import parse_datetime

    assert isinstance(parse_datetime(items[0]["createdAt"]), dt.datetime), "a Z-date like every date"

    # unlike: DELETE /api/models/{id}/like
    assert api_bob.unlike(repo_id) is None
    assert api_anon.model_info(repo_id).likes == 1
    assert {u.username for u in api_anon.list_repo_likers(repo_id)} == {"alice"}
    assert repo_id not in api_anon.list_liked_repos("bob").models
    assert repo_id in api_anon.list_liked_repos("alice").models

    # Unliking what one does not like: fine, or a clear client error; nothing changes.
    try:
        api_bob.unlike(repo_id)
    except hf.errors.HfHubHTTPError as error:
        assert 400 <= error.response.status_code < 500, error
        assert error.response.headers.get("X-Error-Message"), dict(error.response.headers)
    assert api_anon.model_info(repo_id).likes == 1


def test_likes_on_datasets(api_alice, api_bob, api_anon, stoa):
    dataset_id = f"alice/{unique_name('likedds')}"
    api_alice.create_repo(dataset_id, repo_type="dataset")
    liked_ok(stoa, dataset_id, "bob", repo_type="dataset")
    assert api_anon.dataset_info(dataset_id).likes == 1
    bob_likes = api_anon.list_liked_repos("bob")
    assert dataset_id in bob_likes.datasets and dataset_id not in bob_likes.models
    assert [u.username for u in api_anon.list_repo_likers(dataset_id, repo_type="dataset")] == ["bob"]
    api_bob.unlike(dataset_id, repo_type="dataset")
    assert api_anon.dataset_info(dataset_id).likes == 0
    assert dataset_id not in api_anon.list_liked_repos("bob").datasets


def test_like_errors_and_privacy(api_alice, api_bob, api_anon, hf, new_repo, stoa):
    public_id = new_repo("likeerr")
    anonymous = like(stoa, public_id, None)
    assert anonymous.status == 401, anonymous.describe()
    with pytest.raises(hf.errors.HfHubHTTPError) as anon_unlike:
        api_anon.unlike(public_id)
    assert anon_unlike.value.response.status_code == 401
    assert api_anon.model_info(public_id).likes == 0

    for missing in (f"alice/{unique_name('missing')}", "missing_repo_id"):
        with pytest.raises(hf.errors.RepositoryNotFoundError):
            api_bob.unlike(missing)
        r = like(stoa, missing, "bob")
        assert r.status == 404 and r.header("x-error-code") == "RepoNotFound", r.describe()
        with pytest.raises(hf.errors.RepositoryNotFoundError):
            list(api_bob.list_repo_likers(missing))

    # A private repo one cannot see is a missing repo, for liking, unliking and the likers.
    private_id = new_repo("likepriv", private=True)
    r = like(stoa, private_id, "bob")
    assert r.status == 404 and r.header("x-error-code") == "RepoNotFound", r.describe()
    assert like(stoa, private_id, None).status == 401
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        api_bob.unlike(private_id)
    with pytest.raises(hf.errors.RepositoryNotFoundError):
        list(api_bob.list_repo_likers(private_id))
    # Its owner may like it, but the public list of her likes does not show it to others.
    liked_ok(stoa, private_id, "alice")
    assert api_alice.model_info(private_id).likes == 1
    assert [u.username for u in api_alice.list_repo_likers(private_id)] == ["alice"]
    for api in (api_anon, api_bob):
        assert private_id not in api.list_liked_repos("alice").models
    r = curl("GET", f"{stoa.url}/api/users/alice/likes", token=stoa.tokens["bob"])
    assert r.status == 200 and private_id.encode() not in r.body, r.describe()


def test_list_models_sorted_by_likes(api_alice, api_anon, stoa):
    """sort=likes is descending (2.4.0 sends no direction)."""
    token = unique_name("ranked").replace("-", "")
    r0, r1, r2 = (f"alice/{token}-{i}" for i in range(3))
    for repo_id in (r0, r1, r2):
        api_alice.create_repo(repo_id)
    liked_ok(stoa, r1, "alice")
    liked_ok(stoa, r1, "bob")
    liked_ok(stoa, r2, "bob")
    ranked = list(api_anon.list_models(search=token, sort="likes"))
    assert [m.id for m in ranked] == [r1, r2, r0]
    expanded = list(api_anon.list_models(search=token, sort="likes", expand=["likes"]))
    assert [(m.id, m.likes) for m in expanded] == [(r1, 2), (r2, 1), (r0, 0)]


# ---------------------------------------------------------------------------------------------
# collections (§4.11)
# ---------------------------------------------------------------------------------------------


SLUG_ID = re.compile(r"-([0-9a-f]{24})$")


@pytest.fixture
def title():
    tag = uuid.uuid4().hex[:12]
    return f"My cool stuff {tag}", f"my-cool-stuff-{tag}"


def owner_name(collection):
    owner = collection.owner
    return owner["name"] if isinstance(owner, dict) else owner


def test_create_and_get_collection(api_alice, api_bob, api_anon, hf, stoa, title):
    text, kebab = title
    c = api_alice.create_collection(text, description="Contains a lot of cool stuff")
    assert isinstance(c, hf.Collection)
    assert re.fullmatch(rf"alice/{kebab}-[0-9a-f]{{24}}", c.slug), c.slug
    assert (c.title, c.description, c.items) == (text, "Contains a lot of cool stuff", [])
    assert (c.private, c.upvotes) == (False, 0)
    assert owner_name(c) == "alice"
    assert isinstance(c.theme, str) and isinstance(c.position, int)
    assert isinstance(c.last_updated, dt.datetime)
    assert c.url == f"{stoa.url}/collections/{c.slug}"

    got = api_anon.get_collection(c.slug)
    assert (got.slug, got.title, got.description, got.items) == (c.slug, text, "Contains a lot of cool stuff", [])
    assert api_bob.get_collection(c.slug).slug == c.slug

    # Same title again: 409 whose body names the existing slug; exists_ok returns it unchanged.
    with pytest.raises(hf.errors.HfHubHTTPError) as conflict:
        api_alice.create_collection(text)
    assert conflict.value.response.status_code == 409
    assert conflict.value.response.json()["slug"] == c.slug
    same = api_alice.create_collection(text, description="other description", exists_ok=True)
    assert same.slug == c.slug and same.description == "Contains a lot of cool stuff"
    # Titles are per owner.
    bobs = api_bob.create_collection(text)
    assert bobs.slug.startswith(f"bob/{kebab}-") and bobs.slug != c.slug
    # Nobody creates in someone else's namespace.
    with pytest.raises(hf.errors.HfHubHTTPError) as foreign:
        api_bob.create_collection(f"intruder {uuid.uuid4().hex[:8]}", namespace="alice")
    assert foreign.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as anonymous:
        api_anon.create_collection("anonymous", namespace="alice")
    assert anonymous.value.response.status_code == 401

    missing = f"alice/no-such-collection-{'0' * 24}"
    with pytest.raises(hf.errors.HfHubHTTPError) as not_found:
        api_alice.get_collection(missing)
    assert not_found.value.response.status_code == 404


def test_private_collection_is_invisible_to_others(api_alice, api_bob, api_anon, hf, stoa, title):
    text, _ = title
    c = api_alice.create_collection(text, private=True)
    assert c.private is True
    assert api_alice.get_collection(c.slug).private is True
    for api in (api_bob, api_anon):
        with pytest.raises(hf.errors.HfHubHTTPError) as hidden:
            api.get_collection(c.slug)
        assert hidden.value.response.status_code == 404
        assert c.slug not in {x.slug for x in api.list_collections(owner="alice")}
    missing = curl("GET", f"{stoa.url}/api/collections/alice/nothing-{'1' * 24}", token=stoa.tokens["bob"])
    hidden = curl("GET", f"{stoa.url}/api/collections/{c.slug}", token=stoa.tokens["bob"])
    assert (hidden.status, hidden.header("x-error-code")) == (missing.status, missing.header("x-error-code"))
    with pytest.raises(hf.errors.HfHubHTTPError) as modify:
        api_bob.update_collection_metadata(c.slug, title="taken over")
    assert modify.value.response.status_code == 404, "a private collection does not exist for bob"

    updated = api_alice.update_collection_metadata(c.slug, private=False)
    assert updated.private is False
    assert api_bob.get_collection(c.slug).private is False
    assert api_anon.get_collection(c.slug).title == text


def test_list_collections(api_alice, api_bob, api_anon, hf, new_repo, stoa, title):
    text, _ = title
    model_id = new_repo("incoll")
    public = api_alice.create_collection(text)
    private = api_alice.create_collection(text + " private", private=True)
    other = api_alice.create_collection(text + " other")
    bobs = api_bob.create_collection(text + " bob")
    api_alice.add_collection_item(public.slug, model_id, "model")
    api_alice.add_collection_item(private.slug, model_id, "model")
    api_bob.add_collection_item(bobs.slug, model_id, "model")

    listed = list(api_anon.list_collections(owner="alice"))
    slugs = [c.slug for c in listed]
    assert {public.slug, other.slug} <= set(slugs) and private.slug not in slugs and bobs.slug not in slugs
    assert [c.position for c in listed] == list(range(len(listed))), "positions are the client's own index"
    assert all(owner_name(c) == "alice" for c in listed)

    containing = {c.slug for c in api_anon.list_collections(item=f"models/{model_id}")}
    assert containing == {public.slug, bobs.slug}
    assert {c.slug for c in api_anon.list_collections(owner="bob", item=f"models/{model_id}")} == {bobs.slug}
    assert len(list(api_anon.list_collections(owner="alice", limit=1))) == 1

    # The list must not carry a top-level `position` (the client passes its own: TypeError).
    raw = curl("GET", f"{stoa.url}/api/collections?owner=alice")
    assert raw.status == 200, raw.describe()
    assert raw.json() and all("position" not in c for c in raw.json()), raw.describe()
    for c in api_anon.list_collections(owner="alice"):
        full = api_anon.get_collection(c.slug)
        assert full.slug == c.slug


def test_collection_items_and_metadata(api_alice, api_bob, api_anon, hf, new_repo, stoa, title):
    text, _ = title
    model_id = new_repo("collmodel")
    dataset_id = f"alice/{unique_name('collds')}"
    api_alice.create_repo(dataset_id, repo_type="dataset")
    nested = api_alice.create_collection(f"nested collection {uuid.uuid4().hex[:8]}")
    c = api_alice.create_collection(text)

    added = api_alice.add_collection_item(c.slug, model_id, "model", note="This is my model")
    assert isinstance(added, hf.Collection) and [i.item_id for i in added.items] == [model_id]
    api_alice.add_collection_item(c.slug, dataset_id, "dataset")
    api_alice.add_collection_item(c.slug, nested.slug, "collection")
    c = api_alice.get_collection(c.slug)
    assert [(i.item_id, i.item_type) for i in c.items] == [
        (model_id, "model"),
        (dataset_id, "dataset"),
        (nested.slug, "collection"),
    ]
    assert [i.note for i in c.items] == ["This is my model", None, None]
    assert [i.position for i in c.items] == [0, 1, 2]
    assert all(isinstance(i.item_object_id, str) and i.item_object_id for i in c.items)
    assert len({i.item_object_id for i in c.items}) == 3

    # Already there: 409 (exists_ok returns the collection); missing items: 404.
    with pytest.raises(hf.errors.HfHubHTTPError) as exists:
        api_alice.add_collection_item(c.slug, model_id, "model")
    assert exists.value.response.status_code == 409
    assert len(api_alice.add_collection_item(c.slug, model_id, "model", exists_ok=True).items) == 3
    for item_id, item_type in ((model_id, "dataset"), (f"alice/{unique_name('missing')}", "model")):
        with pytest.raises(hf.errors.HfHubHTTPError) as missing:
            api_alice.add_collection_item(c.slug, item_id, item_type)
        assert missing.value.response.status_code == 404, (item_id, item_type)
    # Bob cannot add alice's private repo to his own collection: it does not exist for him.
    hidden_repo = new_repo("collhidden", private=True)
    bobs = api_bob.create_collection(f"bob stuff {uuid.uuid4().hex[:8]}")
    with pytest.raises(hf.errors.HfHubHTTPError) as hidden:
        api_bob.add_collection_item(bobs.slug, hidden_repo, "model")
    assert hidden.value.response.status_code == 404

    # Note and position: the model moves after the dataset.
    assert api_alice.update_collection_item(c.slug, c.items[0].item_object_id, note="New note", position=1) is None
    c = api_alice.get_collection(c.slug)
    assert [i.item_id for i in c.items] == [dataset_id, model_id, nested.slug]
    assert [i.position for i in c.items] == [0, 1, 2]
    assert c.items[1].note == "New note"

    # Delete an item (twice: 404, tolerated with missing_ok).
    model_item = c.items[1].item_object_id
    api_alice.delete_collection_item(c.slug, model_item)
    with pytest.raises(hf.errors.HfHubHTTPError) as gone:
        api_alice.delete_collection_item(c.slug, model_item)
    assert gone.value.response.status_code == 404
    api_alice.delete_collection_item(c.slug, model_item, missing_ok=True)
    c = api_alice.get_collection(c.slug)
    assert [i.item_id for i in c.items] == [dataset_id, nested.slug]

    # Bob can read alice's public collection but change nothing in it.
    forbidden = [
        lambda: api_bob.update_collection_metadata(c.slug, title="bob was here"),
        lambda: api_bob.add_collection_item(c.slug, model_id, "model"),
        lambda: api_bob.update_collection_item(c.slug, c.items[0].item_object_id, note="bob"),
        lambda: api_bob.delete_collection_item(c.slug, c.items[0].item_object_id),
        lambda: api_bob.delete_collection(c.slug),
    ]
    for call in forbidden:
        with pytest.raises(hf.errors.HfHubHTTPError) as refused:
            call()
        assert refused.value.response.status_code == 403
    with pytest.raises(hf.errors.HfHubHTTPError) as anonymous:
        api_anon.update_collection_metadata(c.slug, title="anonymous")
    assert anonymous.value.response.status_code == 401
    assert api_anon.get_collection(c.slug).title == text
    assert [i.item_id for i in api_anon.get_collection(c.slug).items] == [dataset_id, nested.slug]

    # Metadata: PATCH answers {"data": Collection}; a new title gives a new slug with the same id,
    # and the old slug keeps working.
    new_title = f"New title {uuid.uuid4().hex[:8]}"
    updated = api_alice.update_collection_metadata(
        c.slug, title=new_title, description="New description", private=True, theme="pink"
    )
    assert (updated.title, updated.description) == (new_title, "New description")
    assert (updated.private, updated.theme) == (True, "pink")
    assert updated.slug != c.slug
    assert SLUG_ID.search(updated.slug).group(1) == SLUG_ID.search(c.slug).group(1)
    assert api_alice.get_collection(c.slug).slug == updated.slug
    assert api_alice.get_collection(updated.slug).slug == updated.slug
    assert [i.item_id for i in updated.items] == [dataset_id, nested.slug]
    positioned = api_alice.update_collection_metadata(updated.slug, position=0)
    assert positioned.slug == updated.slug and isinstance(positioned.position, int)

    # Delete (twice: 404, tolerated with missing_ok).
    assert api_alice.delete_collection(updated.slug) is None
    with pytest.raises(hf.errors.HfHubHTTPError) as deleted:
        api_alice.get_collection(updated.slug)
    assert deleted.value.response.status_code == 404
    with pytest.raises(hf.errors.HfHubHTTPError) as twice:
        api_alice.delete_collection(updated.slug)
    assert twice.value.response.status_code == 404
    api_alice.delete_collection(updated.slug, missing_ok=True)
    # The nested collection is unaffected.
    assert api_anon.get_collection(nested.slug).slug == nested.slug
