"""Every format's reader declares itself once; detection and dispatch are built from those declarations."""

from pathlib import Path

import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import DEFAULT_OPTIONS, READERS, Reader, detect_format, reader_for
from sessions_lib.readers.detect import EXTENSIONS


def test_formats_magic_bytes_and_extensions_are_declared_once():
    formats = [reader.format for reader in READERS]
    magics = [reader.magic for reader in READERS if reader.magic]
    extensions = [extension for reader in READERS for extension in reader.extensions]
    assert len(set(formats)) == len(formats)
    assert len(set(magics)) == len(magics)
    assert len(set(extensions)) == len(extensions)
    assert sorted(EXTENSIONS) == sorted(extensions)


@pytest.mark.parametrize("reader", [r for r in READERS if r.magic], ids=lambda r: r.format)
def test_a_declared_magic_names_its_format_whatever_the_extension(reader: Reader, tmp_path: Path):
    path = tmp_path / "recording.unknown"
    path.write_bytes(reader.magic or b"")
    assert detect_format(path) == reader.format
    assert reader_for(path) is reader


@pytest.mark.parametrize("reader", [r for r in READERS if r.extensions], ids=lambda r: r.format)
def test_a_declared_extension_names_its_format_without_magic(reader: Reader, tmp_path: Path):
    for extension in reader.extensions:
        path = tmp_path / f"recording{extension.upper()}"
        path.write_bytes(b"no magic here")
        assert detect_format(path) == reader.format


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.format)
def test_every_reader_takes_a_path_and_options_and_refuses_a_missing_file(reader: Reader, tmp_path: Path):
    path = tmp_path / f"missing{(reader.extensions or ('.bin',))[0]}"
    with pytest.raises(ReaderError) as raised:
        reader.read(path, DEFAULT_OPTIONS)
    assert str(path) in str(raised.value)


def test_a_folder_format_is_known_by_where_its_files_lie():
    (folder_reader,) = [reader for reader in READERS if reader.reads == "folder"]
    assert folder_reader.format == "lerobot" and folder_reader.magic is None and not folder_reader.extensions
