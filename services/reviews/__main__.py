"""python -m services.reviews [--role api|worker|relay|all]"""

from services.reviews.app import SERVICE
from shared.service import main

main(SERVICE)
