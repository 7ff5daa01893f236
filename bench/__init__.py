"""`make bench`: the site, its comment API and Isso under the same load, with nginx as the floor."""
