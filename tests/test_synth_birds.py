import hashlib
import pickle

import numpy as np
from PIL import Image

from s2i_hf.data.synthetic import domain
from s2i_hf.data.synthetic.birds import CAPTIONS_PER_IMAGE, IMAGE_SIZE, synthesize_bird_corpus
from s2i_hf.data.synthetic.caption_embedding import embed_caption


def _plain_pickle(path):
    with open(path, "rb") as f:  # exactly as StackGAN-Pytorch reads its files
        return pickle.load(f, encoding="latin1")


def test_cub_files_agree_with_each_other(bird_corpus):
    cub = bird_corpus / "CUB_200_2011"
    images = [line.split() for line in (cub / "images.txt").read_text().splitlines()]
    boxes = [line.split() for line in (cub / "bounding_boxes.txt").read_text().splitlines()]
    assert len(images) == len(boxes) == 40
    assert [i for i, _ in images] == [b[0] for b in boxes] == [str(k) for k in range(1, 41)]
    split = dict(line.split() for line in (cub / "train_test_split.txt").read_text().splitlines())
    assert sorted(split.values()).count("1") == 30
    for (_, rel), (_, x, y, w, h) in zip(images, boxes):
        with Image.open(cub / "images" / rel) as img:
            assert img.size == (IMAGE_SIZE, IMAGE_SIZE) and img.format == "JPEG"
        x, y, w, h = map(float, (x, y, w, h))
        assert 0 <= x and 0 <= y and w > 20 and h > 20 and x + w <= IMAGE_SIZE and y + h <= IMAGE_SIZE


def test_stackgan_pickles_are_readable_as_stackgan_reads_them(bird_corpus):
    train_classes, test_classes = domain.class_split()
    for split, allowed, count in (("train", train_classes, 30), ("test", test_classes, 10)):
        names = _plain_pickle(bird_corpus / split / "filenames.pickle")
        embeddings = _plain_pickle(bird_corpus / split / "char-CNN-RNN-embeddings.pickle")
        class_info = _plain_pickle(bird_corpus / split / "class_info.pickle")
        assert len(names) == len(class_info) == count
        assert embeddings.shape == (count, CAPTIONS_PER_IMAGE, 1024) and embeddings.dtype == np.float32
        assert set(class_info) <= set(allowed)
        for name, emb, cid in zip(names, embeddings, class_info):
            assert name.startswith(domain.class_name(cid) + "/")
            captions = (bird_corpus / "text_c10" / f"{name}.txt").read_text().splitlines()
            assert len(captions) == CAPTIONS_PER_IMAGE
            np.testing.assert_allclose(emb[3], embed_caption(captions[3]), atol=1e-6)


def test_images_show_the_belly_and_wing_colours_of_their_class(bird_corpus):
    for line in (bird_corpus / "CUB_200_2011" / "images.txt").read_text().splitlines()[:12]:
        relpath = line.split()[1]
        belly, wing = domain.class_colours(int(relpath[:3]))
        with Image.open(bird_corpus / "CUB_200_2011" / "images" / relpath) as img:
            pixels = np.asarray(img, np.float32).reshape(-1, 3)
        for colour in (belly, wing):
            near = np.linalg.norm(pixels - np.array(domain.COLOURS[colour]), axis=1) < 45
            assert near.mean() > 0.01, (relpath, colour, near.mean())


def test_same_seed_writes_identical_birds(tmp_path):
    a = synthesize_bird_corpus(tmp_path / "a", n=6, seed=5, num_workers=2)
    b = synthesize_bird_corpus(tmp_path / "b", n=6, seed=5, num_workers=1)
    c = synthesize_bird_corpus(tmp_path / "c", n=6, seed=6, num_workers=1)

    def digest(root):
        return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*.jpg")))).hexdigest()

    assert digest(a) == digest(b) != digest(c)
    assert (a / "train" / "filenames.pickle").read_bytes() == (b / "train" / "filenames.pickle").read_bytes()


def test_interrupted_run_leaves_no_corpus_under_the_real_name(tmp_path, monkeypatch):
    import s2i_hf.data.synthetic.birds as birds

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(birds, "embed_captions", boom)
    try:
        birds.synthesize_bird_corpus(tmp_path / "out", n=4, num_workers=1)
    except KeyboardInterrupt:
        pass
    assert not (tmp_path / "out").exists()
