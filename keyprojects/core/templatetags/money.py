from django import template

from keyprojects.core.money import format_pct, format_wan, format_yi

register = template.Library()
register.filter("yi", format_yi)
register.filter("wan", format_wan)
register.filter("pct", format_pct)
