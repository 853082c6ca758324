"""Deterministic generator of realistic demo users and listings (seed_demo_data).

Pure functions over a seeded ``random.Random``: the same seed gives the same people,
titles, descriptions and prices on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

FIRST_NAMES = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "Lucas",
    "Mia",
    "Mateo",
    "Isabella",
    "Levi",
    "Amelia",
    "Ezra",
    "Harper",
    "Leo",
    "Evelyn",
    "Kai",
    "Aria",
    "Omar",
    "Chloe",
    "Hiro",
    "Zoe",
    "Ravi",
    "Nora",
    "Jonas",
    "Lena",
    "Tariq",
    "Ines",
    "Marco",
    "Priya",
    "Felix",
    "Yara",
    "Diego",
    "Maya",
    "Anders",
    "Sofia",
    "Kenji",
    "Amara",
    "Tomas",
]
LAST_NAMES = [
    "Johnson",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Perez",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Okafor",
    "Tanaka",
    "Schmidt",
    "Rossi",
    "Novak",
    "Kowalski",
    "Silva",
    "Haddad",
]


@dataclass(frozen=True)
class CategoryVocabulary:
    # item -> (brands that make it, typical price range)
    items: dict[str, tuple[tuple[str, ...], tuple[int, int]]]
    qualifiers: tuple[str, ...]
    details: tuple[str, ...]


VOCABULARY: dict[str, CategoryVocabulary] = {
    "electronics": CategoryVocabulary(
        items={
            "Bluetooth speaker": (("JBL", "Bose", "Sonos", "Marshall"), (25, 300)),
            "noise-cancelling headphones": (
                ("Sony WH-1000XM4", "Bose QC45", "Sennheiser"),
                (60, 350),
            ),
            "4K TV": (("Samsung", "LG OLED", "Sony Bravia", "Panasonic"), (150, 1500)),
            "soundbar": (("Sonos", "Samsung", "Bose", "Yamaha"), (60, 700)),
            "digital camera": (("Canon", "Nikon", "Fujifilm X100", "Sony"), (80, 1400)),
            "drone": (("DJI Mini 3", "DJI Air 2S", "Parrot"), (150, 900)),
            "e-reader": (("Kindle Paperwhite", "Kobo Clara", "Kindle Oasis"), (40, 200)),
            "smartwatch": (("Garmin Forerunner", "Apple Watch", "Fitbit"), (50, 450)),
            "turntable": (("Audio-Technica", "Pro-Ject", "Rega"), (80, 600)),
        },
        qualifiers=("Compact", "Wireless", "Portable", "Refurbished", "Boxed"),
        details=(
            "Battery holds a full day of use.",
            "Comes with the original charger and cable.",
            "Firmware updated last month.",
            "A couple of light scuffs on the back.",
            "Remote included.",
            "Perfect for a small apartment.",
        ),
    ),
    "computers": CategoryVocabulary(
        items={
            "laptop": (
                ("Lenovo ThinkPad", "Dell XPS 13", "MacBook Air M1", "HP EliteBook"),
                (250, 1800),
            ),
            "mechanical keyboard": (("Keychron", "Logitech", "Ducky"), (40, 200)),
            "27-inch monitor": (("Dell UltraSharp", "LG", "BenQ"), (120, 600)),
            "tablet": (("iPad Air", "Samsung Galaxy Tab", "Microsoft Surface Go"), (120, 700)),
            "graphics card": (
                ("NVIDIA RTX 3070", "AMD Radeon RX 6700", "NVIDIA RTX 3060"),
                (200, 700),
            ),
            "NAS drive": (("Synology DS220+", "QNAP"), (150, 500)),
            "docking station": (("CalDigit", "Dell", "Anker"), (40, 250)),
        },
        qualifiers=("Fast", "Lightweight", "Upgraded", "Like-new", "Business-grade"),
        details=(
            "16 GB RAM and a 512 GB SSD.",
            "Fresh operating system install.",
            "Battery cycle count under 200.",
            "Original box and charger included.",
            "No dead pixels.",
            "Great for students and remote work.",
        ),
    ),
    "phones": CategoryVocabulary(
        items={
            "smartphone": (
                ("iPhone 13", "iPhone 14 Pro", "Pixel 7", "Galaxy S22", "OnePlus 11"),
                (180, 950),
            ),
            "wireless earbuds": (("AirPods Pro", "Galaxy Buds", "Jabra Elite"), (40, 200)),
            "power bank": (("Anker", "Mophie", "Belkin"), (12, 60)),
            "wireless charger": (("Belkin", "Anker", "Apple MagSafe"), (10, 80)),
            "phone case": (("OtterBox", "Spigen", "Apple leather"), (8, 40)),
        },
        qualifiers=("Unlocked", "Sealed", "Gently used", "Spare", "Dual-SIM"),
        details=(
            "Battery health at 89%.",
            "Always kept in a case with a screen protector.",
            "Works with every carrier.",
            "Includes two extra ear tips.",
            "Charges two devices at once.",
        ),
    ),
    "furniture": CategoryVocabulary(
        items={
            "dining table": (("Oak", "Walnut", "IKEA", "Mid-century teak"), (60, 900)),
            "armchair": (("Leather", "Velvet", "Mid-century", "IKEA Poang"), (40, 600)),
            "bookshelf": (("IKEA Billy", "Solid pine", "Industrial"), (20, 250)),
            "sofa bed": (("Three-seat", "Corner", "Scandinavian"), (120, 900)),
            "office chair": (("Herman Miller Aeron", "Steelcase Leap", "IKEA Markus"), (60, 800)),
            "standing desk": (("Electric", "Fully Jarvis", "IKEA Bekant"), (150, 600)),
            "chest of drawers": (("Antique", "White", "Oak veneer"), (40, 400)),
        },
        qualifiers=("Sturdy", "Elegant", "Space-saving", "Restored", "Modern"),
        details=(
            "Pick-up only, second floor with an elevator.",
            "Smoke-free, pet-free home.",
            "Disassembles for transport.",
            "Minor wear on one corner.",
            "Measurements in the photos.",
            "Seats six comfortably.",
        ),
    ),
    "home-garden": CategoryVocabulary(
        items={
            "espresso machine": (
                ("Breville Barista Express", "De'Longhi", "Gaggia Classic"),
                (120, 600),
            ),
            "stand mixer": (("KitchenAid Artisan", "Kenwood Chef"), (120, 450)),
            "cordless drill": (("Makita", "Bosch", "DeWalt"), (40, 200)),
            "lawn mower": (("Honda", "Bosch Rotak", "Greenworks"), (80, 500)),
            "cast iron skillet": (("Le Creuset", "Lodge", "Staub"), (15, 180)),
            "robot vacuum": (("iRobot Roomba", "Roborock", "Eufy"), (90, 550)),
            "barbecue grill": (("Weber Kettle", "Weber Genesis", "Char-Broil"), (60, 900)),
        },
        qualifiers=("Powerful", "Barely used", "Energy-efficient", "Heavy-duty", "Quiet"),
        details=(
            "All attachments included.",
            "Descaled and cleaned.",
            "Two batteries and a charger.",
            "Moving sale, must go this week.",
            "Manual included.",
        ),
    ),
    "clothing": CategoryVocabulary(
        items={
            "wool coat": (("COS", "Uniqlo", "Max Mara"), (30, 350)),
            "denim jacket": (("Levi's", "Lee", "Wrangler"), (20, 90)),
            "running shoes": (("Nike Pegasus", "Asics Gel-Nimbus", "New Balance 1080"), (25, 120)),
            "leather boots": (("Dr. Martens", "Red Wing", "Blundstone"), (40, 250)),
            "rain jacket": (("Patagonia", "Arc'teryx", "The North Face"), (40, 300)),
            "hiking boots": (("Salomon", "Merrell", "Lowa"), (40, 200)),
        },
        qualifiers=("Size M", "Size L", "Size S", "EU 42", "EU 38", "Unisex"),
        details=(
            "Worn twice.",
            "Dry-cleaned and ready to wear.",
            "Runs slightly large.",
            "No stains or holes.",
            "Original tags still attached.",
        ),
    ),
    "books": CategoryVocabulary(
        items={
            "first edition": (("Tolkien", "Agatha Christie", "Ursula K. Le Guin"), (40, 250)),
            "paperback collection": (
                ("Terry Pratchett", "Haruki Murakami", "Penguin Classics"),
                (10, 60),
            ),
            "cookbook": (("Ottolenghi", "Nigella Lawson", "Salt Fat Acid Heat"), (6, 35)),
            "programming textbook": (
                ("O'Reilly Python", "SICP", "Designing Data-Intensive Applications"),
                (12, 60),
            ),
            "graphic novel set": (("Sandman", "Watchmen", "Persepolis"), (15, 90)),
        },
        qualifiers=("Signed", "Complete", "Annotated", "Illustrated", "Rare"),
        details=(
            "Spine uncracked.",
            "A few pencil notes in the margins.",
            "From a smoke-free home.",
            "Dust jacket in good shape.",
            "Great gift for a reader.",
        ),
    ),
    "music": CategoryVocabulary(
        items={
            "acoustic guitar": (("Yamaha FG800", "Martin", "Taylor"), (90, 1800)),
            "electric guitar": (("Fender Stratocaster", "Gibson Les Paul", "Ibanez"), (150, 2500)),
            "digital piano": (("Yamaha P-125", "Roland FP-30", "Casio Privia"), (200, 900)),
            "ukulele": (("Kala", "Cordoba", "Yamaha"), (25, 150)),
            "synthesizer": (("Korg Minilogue", "Roland Juno", "Arturia MicroFreak"), (150, 1200)),
            "audio interface": (("Focusrite Scarlett 2i2", "Universal Audio Volt"), (60, 250)),
            "vinyl record lot": (("Classic rock", "Jazz", "Soul and funk"), (20, 300)),
        },
        qualifiers=("Vintage", "Student", "Stage-ready", "Well-loved", "Professional"),
        details=(
            "Freshly restrung.",
            "Gig bag included.",
            "Plays beautifully, no buzz.",
            "Stand and pedal included.",
            "Records cleaned and in sleeves.",
        ),
    ),
    "sports": CategoryVocabulary(
        items={
            "tent": (("MSR Hubba Hubba", "Coleman", "REI Half Dome"), (40, 400)),
            "kayak": (("Perception", "Oru foldable", "Pelican"), (200, 1200)),
            "snowboard": (("Burton Custom", "Jones", "Lib Tech"), (80, 450)),
            "dumbbell set": (("Bowflex adjustable", "Cast iron", "Rubber hex"), (30, 300)),
            "tennis racket": (("Wilson Pro Staff", "Babolat Pure Drive", "Head Speed"), (30, 180)),
            "golf clubs": (("Callaway", "TaylorMade", "Ping"), (100, 900)),
        },
        qualifiers=("Lightweight", "Two-person", "Adjustable", "Beginner", "Competition"),
        details=(
            "Used for one season.",
            "Waterproofed last spring.",
            "Nothing missing.",
            "Stored dry all year.",
            "Selling because I moved to the city.",
        ),
    ),
    "toys": CategoryVocabulary(
        items={
            "LEGO set": (("LEGO Technic", "LEGO Star Wars", "LEGO City"), (15, 350)),
            "board game": (("Catan", "Ticket to Ride", "Pandemic", "Carcassonne"), (12, 50)),
            "wooden train set": (("Brio", "Hape", "IKEA Lillabo"), (15, 90)),
            "jigsaw puzzle": (("Ravensburger 1000-piece", "Wentworth"), (5, 40)),
            "dollhouse": (("Plan Toys", "KidKraft", "Handmade"), (30, 200)),
        },
        qualifiers=("Complete", "Boxed", "Family", "Educational", "Collector's"),
        details=(
            "All pieces counted.",
            "Instructions included.",
            "Suitable for ages 8 and up.",
            "Played with twice.",
            "From a smoke-free home.",
        ),
    ),
    "bikes": CategoryVocabulary(
        items={
            "road bike": (("Trek Domane", "Specialized Allez", "Canyon Endurace"), (300, 2500)),
            "mountain bike": (("Giant Talon", "Trek Marlin", "Cube"), (250, 2000)),
            "city bike": (("Gazelle", "Brompton folding", "Pashley"), (150, 1200)),
            "e-bike": (("Cube Touring Hybrid", "Specialized Turbo", "VanMoof"), (900, 3500)),
            "kids' bike": (("Frog", "Woom", "Islabikes"), (60, 300)),
            "cycling helmet": (("Giro", "POC", "Bell"), (20, 120)),
        },
        qualifiers=("Medium frame", "Large frame", "Single-speed", "Carbon", "Serviced"),
        details=(
            "New chain and brake pads.",
            "Tubeless tires.",
            "Lock and lights included.",
            "Battery range about 80 km.",
            "Always stored indoors.",
        ),
    ),
    "collectibles": CategoryVocabulary(
        items={
            "oil painting": (("Landscape", "Portrait", "Abstract"), (80, 3000)),
            "stamp collection": (("British Commonwealth", "World", "Early US"), (40, 800)),
            "coin set": (("Silver proof", "Roman bronze", "Commemorative"), (30, 900)),
            "film poster": (("1970s Star Wars", "Original Jaws", "Blade Runner"), (40, 600)),
            "mantel clock": (("Art Deco", "Victorian", "Black Forest"), (60, 900)),
        },
        qualifiers=("Framed", "Authenticated", "Rare", "Original", "Museum-quality"),
        details=(
            "Certificate of authenticity included.",
            "Kept out of direct sunlight.",
            "Provenance documented.",
            "Ready to hang.",
            "Shipped insured or pick up.",
        ),
    ),
}

OPENERS = (
    "Selling my {item} because I am upgrading.",
    "Up for sale: {brand} {item} in {condition} condition.",
    "Moving abroad, so this {item} needs a new home.",
    "Great {item}, barely used since I bought it.",
    "Decluttering: {brand} {item}, works perfectly.",
    "Reliable {item} that has served me well.",
)
CLOSERS = (
    "Pick up in the city centre or I can ship at your cost.",
    "Price is slightly negotiable for a quick sale.",
    "Cash or bank transfer on collection.",
    "Message me with any questions.",
    "First come, first served.",
    "",
)
CONDITIONS = ("new", "like_new", "good", "good", "good", "fair", "fair", "poor")
CONDITION_WORDS = {
    "new": "brand-new",
    "like_new": "like-new",
    "good": "good",
    "fair": "fair",
    "poor": "well-worn",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    email: str
    display_name: str


@dataclass(frozen=True)
class DemoListing:
    seller_index: int
    category_slug: str
    title: str
    description: str
    price: Decimal
    condition: str
    status: str
    view_count: int
    age_seconds: int


def demo_users(rng: random.Random, count: int) -> list[DemoUser]:
    """``count`` distinct people; usernames like ``emma.garcia`` (unique ignoring case)."""
    users: list[DemoUser] = []
    seen: set[str] = set()
    while len(users) < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first}.{last}".lower()
        if username in seen:
            username = f"{username}{len(users)}"
        seen.add(username)
        users.append(
            DemoUser(
                username=username,
                email=f"{username}@example.com",
                display_name=f"{first} {last}",
            )
        )
    return users


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    # Log-uniform: many cheap items, a few expensive ones, like a real marketplace.
    value = low * (high / low) ** rng.random()
    if value >= 100:
        whole = int(round(value, -1 if value < 1000 else -2))
        cents = rng.choice(("00", "00", "00", "99"))
        if cents == "99":
            whole -= 1
        return Decimal(f"{max(whole, low)}.{cents}")
    return Decimal(f"{int(value)}.{rng.choice(('00', '50', '99', '00'))}")


def demo_listings(rng: random.Random, count: int, sellers: int) -> list[DemoListing]:
    """``count`` listings spread over the categories, sellers and the last 90 days."""
    slugs = sorted(VOCABULARY)
    listings = []
    for _ in range(count):
        slug = rng.choice(slugs)
        vocab = VOCABULARY[slug]
        item = rng.choice(sorted(vocab.items))
        brands, price_range = vocab.items[item]
        brand, qualifier = rng.choice(brands), rng.choice(vocab.qualifiers)
        condition = rng.choice(CONDITIONS)
        title = rng.choice(
            (
                f"{brand} {item}",
                f"{qualifier} {brand} {item}",
                f"{brand} {item} - {qualifier.lower()}",
                f"{qualifier} {item} ({brand})",
            )
        )
        sentences = [
            rng.choice(OPENERS).format(
                item=item, brand=brand, condition=CONDITION_WORDS[condition]
            ),
            *rng.sample(vocab.details, k=rng.randint(1, 3)),
            rng.choice(CLOSERS),
        ]
        description = " ".join(sentence for sentence in sentences if sentence)
        roll = rng.random()
        status = "active" if roll < 0.9 else ("sold" if roll < 0.97 else "withdrawn")
        # Heavy-tailed popularity: most listings get a few views, some get thousands.
        view_count = 0 if rng.random() < 0.15 else min(int(rng.paretovariate(1.1) * 5), 5000)
        listings.append(
            DemoListing(
                seller_index=rng.randrange(sellers),
                category_slug=slug,
                title=title[:120],
                description=description[:5000],
                price=_price(rng, *price_range),
                condition=condition,
                status=status,
                view_count=view_count,
                age_seconds=rng.randint(60, 90 * 24 * 3600),
            )
        )
    return listings
