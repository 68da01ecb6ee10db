"""Returns (RMA): eligibility, grading, refunds and outcomes as pure rules."""
