import pytest
from pydantic import ValidationError

from api.settings import ApiKey, Settings, hash_api_key


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOCLENS_MODEL", raising=False)  # tests/conftest.py sets it for the suite
    s = Settings()
    assert s.backend == "sqlite" and s.model == "lite" and str(s.data_dir) == "voclens-data"
    assert s.model_runtime == "auto" and s.model_dir is None
    assert s.sqlite_path.name == "voclens.db"


def test_env_overrides_toml_file(monkeypatch, tmp_path):
    cfg = tmp_path / "voclens.toml"
    cfg.write_text('data_dir = "/srv/voclens"\nport = 9000\nuser_terms = ["戴森"]\n', encoding="utf-8")
    monkeypatch.setenv("VOCLENS_CONFIG", str(cfg))
    monkeypatch.setenv("VOCLENS_PORT", "9100")
    s = Settings()
    assert (str(s.data_dir), s.port, s.user_terms) == ("/srv/voclens", 9100, ["戴森"])


def test_comma_separated_user_terms(monkeypatch):
    monkeypatch.setenv("VOCLENS_USER_TERMS", "戴森, 小米13")
    assert Settings().user_terms == ["戴森", "小米13"]


def test_bad_values_name_the_setting(monkeypatch):
    monkeypatch.setenv("VOCLENS_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_backend_is_one_the_registry_knows(monkeypatch):
    from index.registry import backend_names

    assert backend_names() == ("sqlite", "elasticsearch")
    monkeypatch.setenv("VOCLENS_BACKEND", "elasticsearch")
    assert Settings().backend == "elasticsearch"
    monkeypatch.setenv("VOCLENS_BACKEND", "solr")
    with pytest.raises(ValidationError, match=r"backend\n.*unknown backend 'solr'; known backends: elasticsearch, sqlite"):
        Settings()


def test_unknown_keys_in_the_file_are_errors(monkeypatch, tmp_path):
    cfg = tmp_path / "voclens.toml"
    cfg.write_text("prot = 1\n")
    monkeypatch.setenv("VOCLENS_CONFIG", str(cfg))
    with pytest.raises(ValidationError, match="prot"):
        Settings()


def test_missing_config_file_named_by_env_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("VOCLENS_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        Settings()


def test_api_keys_are_stored_hashed_and_compared_safely():
    key = ApiKey(name="ci", hash=hash_api_key("secret-key"), scopes=("read",))
    assert key.matches("secret-key") and not key.matches("secret-kez")
    with pytest.raises(ValidationError):
        ApiKey(name="ci", hash="plaintext")


def test_elasticsearch_settings_from_env(monkeypatch):
    from index.elasticsearch import ElasticsearchBackend

    monkeypatch.setenv("VOCLENS_BACKEND", "elasticsearch")
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_URLS", "https://es1:9200, https://es2:9200")
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_USERNAME", "voclens")
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_PASSWORD", "s3cret")
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_CA_FILE", "/etc/es/http_ca.crt")
    s = Settings()
    assert s.backend == "elasticsearch" and "s3cret" not in repr(s)
    opts = ElasticsearchBackend.options_from(s)
    assert opts["hosts"] == ["https://es1:9200", "https://es2:9200"]
    assert opts["basic_auth"] == ("voclens", "s3cret") and opts["api_key"] is None
    assert opts["ca_certs"] == "/etc/es/http_ca.crt" and opts["verify_certs"] is True
    assert opts["index_prefix"] == "voclens"


def test_bad_index_prefix_is_rejected(monkeypatch):
    monkeypatch.setenv("VOCLENS_ELASTICSEARCH_INDEX_PREFIX", "Bad Prefix*")
    with pytest.raises(ValidationError, match="elasticsearch_index_prefix"):
        Settings()


def test_default_salt_is_refused_only_where_hashes_would_leave_this_machine(monkeypatch):
    from api.settings import default_salt_refusal, is_loopback

    monkeypatch.delenv("VOCLENS_AUTHOR_SALT", raising=False)
    monkeypatch.delenv("VOCLENS_ENV", raising=False)
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.5", "voclens.example.com", "::"))
    default = Settings()
    assert default_salt_refusal(default, "serve", ["127.0.0.1"]) is None
    assert "0.0.0.0 is not a loopback address" in default_salt_refusal(default, "serve", ["0.0.0.0"])
    assert "production" in default_salt_refusal(Settings(env="production"), "crawl")
    own = Settings(author_salt="a-secret-of-our-own", env="production")
    assert default_salt_refusal(own, "serve", ["0.0.0.0"]) is None
    with pytest.raises(ValidationError, match="env"):
        Settings(env="prod")
