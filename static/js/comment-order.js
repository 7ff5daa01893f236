/*
 * Remembers the order a reader chose for comments, in this browser only (localStorage),
 * so every page the server sends stays the same for everyone and cacheable. Choosing an
 * order is a plain link (?sort=newest) and works without this script; with it, a later
 * visit to a post without ?sort opens in the remembered order. A link to one comment
 * (#comment-N), a page of comments (?cpage), a reply link or a refused form is left as it
 * is: the reader asked for that exact place.
 */
(function () {
    "use strict";

    var KEY = "comments-order";
    var control = document.querySelector("[data-comment-orders]");
    if (!control) {
        return;
    }
    var storage;
    try {
        storage = window.localStorage;
        storage.getItem(KEY);
    } catch (error) {
        return; // Storage blocked: the links still work, unremembered.
    }

    control.addEventListener("click", function (event) {
        var link = event.target.closest("a[data-order]");
        if (!link) {
            return;
        }
        try {
            if (link.dataset.order === control.dataset.defaultOrder) {
                storage.removeItem(KEY);
            } else {
                storage.setItem(KEY, link.dataset.order);
            }
        } catch (error) {
            // Storage full or blocked: the link is followed all the same.
        }
    });

    var query = new URLSearchParams(window.location.search);
    var exactPlace = query.has("sort") || query.has("cpage") || query.has("replytocom") ||
        /^#comment-\d+$/.test(window.location.hash) ||
        document.querySelector("[data-error-summary]");
    if (exactPlace) {
        return;
    }
    var remembered = storage.getItem(KEY);
    var links = control.querySelectorAll("a[data-order]");
    for (var i = 0; i < links.length; i += 1) {
        if (links[i].dataset.order === remembered && !links[i].hasAttribute("aria-current")) {
            window.location.replace(links[i].href.split("#")[0] + window.location.hash);
            return;
        }
    }
}());
