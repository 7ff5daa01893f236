/*
 * Progressive enhancement for the comment form. Without this script, reply links load
 * the page with ?replytocom=ID and the form works as it is. With it, the form moves
 * under the comment being answered, and a reader who opted in gets name, email and
 * website filled in from the cookie the server set.
 */
(function () {
    "use strict";

    var respond = document.getElementById("respond");
    if (!respond) {
        return;
    }
    var form = respond.querySelector("form");
    var parentInput = form.querySelector("input[name='parent']");
    var title = document.getElementById("reply-title");
    var cancel = document.getElementById("cancel-reply");
    var titleText = title.firstChild;
    var home = document.createComment("comment form home");
    respond.parentNode.insertBefore(home, respond);

    function replyTo(link) {
        var comment = document.getElementById("comment-" + link.dataset.replyTo);
        var article = comment && comment.querySelector(":scope > article");
        if (!article) {
            return false;
        }
        article.insertAdjacentElement("afterend", respond);
        parentInput.value = link.dataset.replyTo;
        titleText.nodeValue = "Reply to " + link.dataset.replyName + " ";
        cancel.hidden = false;
        form.querySelector("textarea").focus();
        return true;
    }

    function cancelReply(event) {
        event.preventDefault();
        home.parentNode.insertBefore(respond, home.nextSibling);
        parentInput.value = "";
        titleText.nodeValue = "Leave a Reply ";
        cancel.hidden = true;
    }

    document.addEventListener("click", function (event) {
        var link = event.target.closest("a[data-reply-to]");
        if (link && replyTo(link)) {
            event.preventDefault();
        }
    });
    cancel.addEventListener("click", cancelReply);

    var cookie = document.cookie.split("; ").filter(function (part) {
        return part.indexOf("comment_author=") === 0;
    })[0];
    if (cookie) {
        // The value is already URL-encoded (the server urlencodes it); decoding it first
        // would turn a "+" in an email into a space.
        var saved = new URLSearchParams(cookie.slice("comment_author=".length).replace(/^"|"$/g, ""));
        [["author_name", "name"], ["author_email", "email"], ["author_url", "url"]].forEach(function (pair) {
            var input = form.elements[pair[0]];
            if (input && !input.value && saved.get(pair[1])) {
                input.value = saved.get(pair[1]);
            }
        });
        if (form.elements.remember) {
            form.elements.remember.checked = true;
        }
    }
}());
