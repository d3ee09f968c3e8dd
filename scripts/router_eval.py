#!/usr/bin/env python3
"""Writes agent/tests/fixtures/router_eval.jsonl: labelled merchant and customer requests
over the built-in store, for the offline router's evaluation. Phrasings are written here
by hand (with typos, multi-intent and out-of-scope requests); ids, emails and names are
drawn from the shipped store so every request is answerable. Deterministic (seeded)."""
import json, random, pathlib

root = pathlib.Path(__file__).resolve().parent.parent
db = json.load(open(root / "tools/data/tau2-retail/db.json"))
rng = random.Random(7)
users = sorted(db["users"].values(), key=lambda u: u["user_id"])
orders = sorted(db["orders"].values(), key=lambda o: o["order_id"])
products = sorted(db["products"].values(), key=lambda p: p["product_id"])
items = sorted(i for p in products for i in p["variants"])
pending = [o for o in orders if o["status"] == "pending"]
delivered = [o for o in orders if o["status"] == "delivered"]

out = []
def add(text, expect, arguments=None, missing=None):
    row = {"text": text, "expect": expect}
    if arguments is not None:
        row["arguments"] = arguments
    if missing is not None:
        row["missing"] = missing
    out.append(row)

def oid(o, style):
    n = o["order_id"][2:]
    return {0: f"#W{n}", 1: f"W{n}", 2: f"#w{n}", 3: f"order #W{n}"}[style]

order_phrases = [
    "where is my order {o}", "whats the status of {o}?", "track {o}", "has {o} shipped yet",
    "wher is my ordr {o}", "can you check order {o} for me", "I want to know where {o} is",
    "status of order {o} please", "show me order {o}", "any update on {o}?",
    "did {o} get delivered", "look up {o}", "order details for {o}", "is {o} on its way",
    "pls check {o}", "what's in order {o}", "when will {o} arrive", "tracking number for {o}?",
    "tell me about {o}", "give me the details of {o}",
]
for i, p in enumerate(order_phrases):
    o = rng.choice(orders)
    add(p.format(o=oid(o, i % 3)), "get_order_details", {"order_id": o["order_id"]})

email_phrases = [
    "my email is {e}", "find the customer with email {e}", "who is {e}", "look up the account for {e}",
    "customer email: {e}", "can you find {e} in our customers", "which user has the email {e}",
    "i signed up with {e}", "search user by email {e}", "account lookup {e}",
]
for p in email_phrases:
    u = rng.choice(users)
    add(p.format(e=u["email"]), "find_user_id_by_email", {"email": u["email"]})

zip_phrases = [
    "I'm {f} {l}, zip {z}", "my name is {f} {l} and my zip code is {z}", "This is {f} {l} from {z}",
    "find customer {f} {l} in {z}", "name: {f} {l}, zip {z}", "I am {f} {l}, my zipcode is {z}",
]
for p in zip_phrases:
    u = rng.choice(users)
    f, l, z = u["name"]["first_name"], u["name"]["last_name"], u["address"]["zip"]
    add(p.format(f=f, l=l, z=z), "find_user_id_by_name_zip", {"first_name": f, "last_name": l, "zip": z})

user_phrases = [
    "show customer {u}", "look up user {u}", "what orders does {u} have", "get the account of {u}",
    "which payment methods does {u} have", "details for user {u}", "pull up {u}", "user {u} info",
]
for p in user_phrases:
    u = rng.choice(users)
    add(p.format(u=u["user_id"]), "get_user_details", {"user_id": u["user_id"]})

product_phrases = [
    "show product {p}", "what variants does product {p} have", "details for product id {p}",
    "which options are available for product {p}", "product {p} details", "what sizes come in product {p}",
    "is product {p} available in other colors",
]
for p in product_phrases:
    pr = rng.choice(products)
    add(p.format(p=pr["product_id"]), "get_product_details", {"product_id": pr["product_id"]})

item_phrases = [
    "what is item {i}", "details of item {i}", "is item {i} in stock", "price of item {i}",
    "how much is item {i}", "item {i} — what options?",
]
for p in item_phrases:
    i = rng.choice(items)
    add(p.format(i=i), "get_item_details", {"item_id": i})

for t in ["what products do you sell", "list all product types", "show me the whole catalog",
          "what kinds of products do you have", "what do you guys sell?", "list your product range"]:
    add(t, "list_all_product_types", {})

cancel_phrases = [
    ("cancel order {o} because I no longer need it", "no longer needed"),
    ("please cancel {o}, I ordered it by mistake", "ordered by mistake"),
    ("I want to cancel {o}, don't need it anymore", "no longer needed"),
    ("cancel {o} no longer needed", "no longer needed"),
    ("cancle my order {o}, ordered by accident", "ordered by mistake"),
    ("can you cancel {o}? I changed my mind", "no longer needed"),
    ("pls cancel {o} it was a mistake", "ordered by mistake"),
    ("cancel the pending order {o}, we don't need it", "no longer needed"),
    ("I accidentally ordered {o}, cancel it please", "ordered by mistake"),
    ("cancel {o} - not needed", "no longer needed"),
]
for p, reason in cancel_phrases:
    o = rng.choice(pending)
    add(p.format(o=oid(o, rng.randrange(3))), "cancel_pending_order", {"order_id": o["order_id"], "reason": reason})
for p in ["I want to cancel my order", "cancel an order please", "how do I cancel my order?"]:
    add(p, "cancel_pending_order", missing=["order_id", "reason"])
o = rng.choice(pending)
add(f"cancel {oid(o, 0)}", "cancel_pending_order", missing=["reason"])

for _ in range(5):
    o = rng.choice(delivered)
    it = o["items"][0]["item_id"]
    pm = o["payment_history"][0]["payment_method_id"]
    add(rng.choice(["return item {i} from order {o} to {pm}", "I want to return {i} of {o}, refund to {pm}",
                    "please return the item {i} in {o} and refund {pm}"]).format(i=it, o=oid(o, 0), pm=pm),
        "return_delivered_order_items", {"order_id": o["order_id"], "item_ids": [it], "payment_method_id": pm})

for _ in range(5):
    o = rng.choice(pending)
    u = db["users"][o["user_id"]]
    pm = sorted(u["payment_methods"])[0]
    add(rng.choice(["pay order {o} with {pm} instead", "change the payment method of {o} to {pm}",
                    "switch payment for {o} to {pm}"]).format(o=oid(o, 1), pm=pm),
        "modify_pending_order_payment", {"order_id": o["order_id"], "payment_method_id": pm})

for t in ["I want to talk to a human", "connect me with a real person please", "get me an agent",
          "can I speak to someone from your team", "escalate this to a person now"]:
    add(t, "transfer_to_human_agents", {"summary": t})

for t, args in [("show open tickets", {"status": "open"}), ("list urgent tickets", {"priority": "urgent"}),
                ("which tickets are pending", {"status": "pending"}), ("show me the support queue", {}),
                ("list all solved tickets", {"status": "solved"}), ("any high priority tickets?", {"priority": "high"}),
                ("show tickets", {}), ("what tickets are still open", {"status": "open"}),
                ("list closed tickets", {"status": "closed"}), ("show the ticket queue", {})]:
    add(t, "list_tickets", args)

for p in ["show ticket {t}", "open ticket {t}", "what does ticket {t} say", "read me {t}", "ticket {t} details",
          "whats going on in {t}", "show me {t}", "pull up ticket {t}"]:
    t = f"T{rng.randrange(1001, 1035)}"
    add(p.format(t=t.lower() if rng.random() < 0.2 else t), "get_ticket", {"ticket_id": t})

for p, status in [("mark ticket {t} as solved", "solved"), ("close ticket {t}", "closed"),
                  ("set {t} to pending", "pending"), ("reopen ticket {t}", "open"), ("mark {t} solved", "solved")]:
    t = f"T{rng.randrange(1001, 1035)}"
    add(p.format(t=t), "set_ticket_status", {"ticket_id": t, "status": status})

for p, who in [("assign ticket {t} to ana", "ana"), ("give {t} to marco", "marco"), ("assign {t} to lee", "lee")]:
    t = f"T{rng.randrange(1001, 1035)}"
    add(p.format(t=t), "assign_ticket", {"ticket_id": t, "assignee": who})

for t, args in [
    ("do you have a blue linen shirt?", {"query": "blue linen shirt"}),
    ("find a water bottle under $50", {"query": "water bottle", "filters": {"max_price": 50.0}}),
    ("I'm looking for a mechanical keyboard", {"query": "mechanical keyboard"}),
    ("search for running shoes in stock", {"query": "running shoes", "filters": {"available_only": True}}),
    ("do you sell noise cancelling headphones", {"query": "noise cancelling headphones"}),
    ("looking for a yoga mat", {"query": "yoga mat"}),
    ("do you have any hiking boots over $200", {"query": "hiking boots", "filters": {"min_price": 200.0}}),
    ("find me a cheap desk lamp under 100", {"query": "cheap desk lamp", "filters": {"max_price": 100.0}}),
    ("do you have an espresso machine", {"query": "espresso machine"}),
    ("search for a backpack", {"query": "backpack"}),
    ("i'm looking for a smart watch", {"query": "smart watch"}),
    ("do you have a skateboard in stock", {"query": "skateboard", "filters": {"available_only": True}}),
]:
    add(t, "search_products", args)

for t, args in [("find the customer named Yara Martin", {"query": "Yara Martin"}),
                ("search customers in Houston", {"query": "Houston"}),
                ("find customers who bought a skateboard", {"query": "bought a skateboard"}),
                ("who is the customer from Denver called Mia", {"query": "from Denver called Mia"})]:
    add(t, "search_customers", args)

for _ in range(6):
    u = rng.choice(users)
    if rng.random() < 0.5:
        add(rng.choice(["show the history of {e}", "what do we know about {e}", "full customer profile for {e}"]).format(e=u["email"]),
            "customer_profile", {"email": u["email"]})
    else:
        add(rng.choice(["customer profile for {u}", "full timeline of customer {u}", "show everything about {u}"]).format(u=u["user_id"]),
            "customer_profile", {"user_id": u["user_id"]})

for t, e in [("calculate 129.99 * 3", "129.99 * 3"), ("what is 45.5 + 23.75", "45.5 + 23.75"),
             ("compute (100 - 15) / 2", "(100 - 15) / 2"), ("how much is 19.99 * 4", "19.99 * 4")]:
    add(t, "calculate", {"expression": e})

for t in ["hi", "hello there", "hey", "good morning!", "hiya shopkeeper", "helo"]:
    add(t, "greeting")
for t in ["what can you do?", "help", "how does this work", "what can i ask you", "what are you able to do for me", "hlep"]:
    add(t, "help")
for t in ["thanks", "thank you!", "great, thanks a lot", "bye", "cheers, that's all", "thx"]:
    add(t, "thanks")

for t in ["what's the weather in Paris tomorrow", "write me a poem about the sea", "who won the world cup in 2018",
          "translate 'hello' into German", "what is the meaning of life", "tell me a joke",
          "how do I bake sourdough bread", "book me a flight to Tokyo", "what's the capital of Australia",
          "play some music", "recommend a good movie", "how tall is mount everest",
          "set an alarm for 7am", "what time is it in London", "explain quantum computing", "sing happy birthday"]:
    add(t, "unknown")

for _ in range(6):
    a, b = rng.sample(orders, 2)
    add(rng.choice(["cancel {a} and tell me where {b} is", "where is {a}, and also change the address of {b}",
                    "return an item from {a} and cancel {b}"]).format(a=oid(a, 0), b=oid(b, 0)), "unknown")

# A second round with other phrasings, merchants' and customers' alike.
for p in ["yo where's {o}", "customer asks about {o}, what's its status", "need the shipping status for {o}",
          "could you check on my package {o}", "I ordered {o} last week, where is it", "check order status {o}"]:
    o = rng.choice(orders)
    add(p.format(o=oid(o, rng.randrange(3))), "get_order_details", {"order_id": o["order_id"]})
for p in ["hi, my email address is {e}", "the customer's email is {e}", "find account {e}"]:
    u = rng.choice(users)
    add(p.format(e=u["email"]), "find_user_id_by_email", {"email": u["email"]})
for p in ["tickets assigned to nobody that are urgent", "show me pending tickets"]:
    add(p, "list_tickets", {"priority": "urgent"} if "urgent" in p else {"status": "pending"})
for p in ["check ticket {t} please", "what is {t} about"]:
    t = f"T{rng.randrange(1001, 1035)}"
    add(p.format(t=t), "get_ticket", {"ticket_id": t})
for t, args in [("have you got a coffee maker under $150", {"query": "coffee maker", "filters": {"max_price": 150.0}}),
                ("search for wireless earbuds", {"query": "wireless earbuds"}),
                ("do you have an air purifier", {"query": "air purifier"})]:
    add(t, "search_products", args)
for t in ["how many vacation days do I have left", "what's bitcoin trading at", "write an essay on climate change",
          "who is the president of France", "order me a pizza", "fix my wifi"]:
    add(t, "unknown")
for t in ["good evening", "hello, anyone there?"]:
    add(t, "greeting")
for t in ["appreciate it, bye", "ok thank you"]:
    add(t, "thanks")

# Products named, not numbered: the router looks the product up, then calls the tool.
for t, tool, name in [("what colors does the office chair come in", "get_product_details", "office chair"),
                      ("show the listing of the water bottle", "get_product_listing", "water bottle"),
                      ("suggest a bundle for the yoga mat", "suggest_bundles", "yoga mat"),
                      ("which sizes do the running shoes come in", "get_product_details", "running shoes")]:
    out.append({"text": t, "expect": tool, "lookup": {"query": name, "limit": 1}})

path = root / "agent/tests/fixtures/router_eval.jsonl"
with open(path, "w") as f:
    for row in out:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"{len(out)} requests -> {path}")
