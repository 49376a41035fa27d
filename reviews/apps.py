from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    label = "reviews"
    verbose_name = "Access reviews and accounts of other systems"

    def ready(self) -> None:
        from core.hooks import register_home_panel, register_lapsing_access, register_person_changed
        from reviews.selectors import reviewer_home
        from reviews.services.matching import rematch_person
        from reviews.services.requests import next_grant_lapse, take_away_lapsed_grants

        # Granted access ends at once: the user is loaded with when their grants next end (same
        # query), and what lapsed is taken away before the request checks anything (access.backends).
        register_lapsing_access("grants", next_grant_lapse, take_away_lapsed_grants)
        # Whoever is named reviewer finds their lines on the home page.
        register_home_panel("reviews", "reviews/_home_panel.html", reviewer_home)
        # Accounts of other systems follow people: created, new email, (de)activated.
        register_person_changed("reviews.accounts", rematch_person)
