"""How requests and leads are numbered for people: 需求 R-54, 线索 L-793, in every list, title, notice and file,
so a request and one of its leads are never confused."""


def req_no(request_id) -> str:
    return f"R-{request_id}"


def lead_no(lead_id) -> str:
    return f"L-{lead_id}"
