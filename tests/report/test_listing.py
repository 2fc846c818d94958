"""fmt.listing: the names a sentence shows, and how many it leaves out."""

from tunelab.fmt import listing


def test_listing_names_up_to_the_limit_and_counts_the_rest():
    assert listing([], 3) == ""
    assert listing(["t1", "t2", "t3"], 3) == "t1, t2, t3"
    assert listing(["t1", "t2", "t3", "t4", "t5"], 3) == "t1, t2, t3 and 2 more"
