import pytest
from pydantic import ValidationError

from api.settings import ApiKey, Settings, hash_api_key


def test_defaults(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOCLENS_MODEL", raising=False)  # tests/conftest.py sets it for the suite
    s = Settings()
    assert s.backend == "sqlite" and s.model == "transformer" and str(s.data_dir) == "voclens-data"
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
